// Release steps the workflow runs on a version tag: `check TAG SHA` (releasable?) and `move-major TAG SHA` (v1 → SHA).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();
const fail = (message) => {
  console.error(`::error::${message}`);
  process.exit(1);
};

const [command, tag, sha] = process.argv.slice(2);
const match = /^(v\d+)\.\d+\.\d+$/.exec(tag ?? '');
if (!match || !sha) fail(`usage: release.mjs check|move-major vX.Y.Z SHA (got ${JSON.stringify(process.argv.slice(2))})`);
const major = match[1];

if (command === 'check') {
  const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
  if (`v${version}` !== tag) fail(`Tag ${tag} does not match package.json version ${version}: set the version first, then tag.`);
  try {
    git('merge-base', '--is-ancestor', sha, 'origin/main');
  } catch {
    fail(`${sha} (${tag}) is not on origin/main: tag a commit of main.`);
  }
  console.log(`${tag} at ${sha} is releasable.`);
} else if (command === 'move-major') {
  // A patch to an older line (v1.2.4 after v1.3.0) is released, but must not pull v1 back to it.
  const newest = git('tag', '--list', `${major}.*`, '--sort=-v:refname').split('\n')[0];
  if (newest !== tag) {
    console.log(`${major} stays where it is: ${newest} is newer than ${tag}.`);
  } else {
    git('tag', '--force', major, sha);
    git('push', '--force', 'origin', `refs/tags/${major}`);
    console.log(`Moved ${major} to ${sha} (${tag}).`);
  }
} else {
  fail(`unknown command ${JSON.stringify(command)}: expected check or move-major`);
}
