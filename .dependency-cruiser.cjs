// The layers' arrows, checked by `npm run lint`: shells (action, cli) → modes (review, fix, conversation) → base.
// A wrong import fails CI here instead of waiting for a review. See README "How it is built".
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle leaves no order to read or change the files in: move the shared part into a file of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'modes-are-peers',
      comment: 'Review, fix and conversation never import each other: a piece two modes need moves down to src/base.',
      severity: 'error',
      from: { path: '^src/modes/([^/]+)/' },
      to: { path: '^src/modes/([^/]+)/', pathNot: '^src/modes/$1/' },
    },
    {
      name: 'base-never-imports-up',
      comment: 'src/base is what every mode stands on; it cannot know about modes or shells.',
      severity: 'error',
      from: { path: '^src/base/' },
      to: { path: '^src/(modes|action|cli)/' },
    },
    {
      name: 'modes-never-import-shells',
      comment: 'The engine takes typed options and ports; it never reads action inputs or CLI flags itself.',
      severity: 'error',
      from: { path: '^src/modes/' },
      to: { path: '^src/(action|cli)/' },
    },
    {
      name: 'shells-are-apart',
      comment: 'The Action and the CLI are two doors onto one engine; neither goes through the other.',
      severity: 'error',
      from: { path: '^src/(action|cli)/' },
      to: { path: '^src/(action|cli)/', pathNot: '^src/$1/' },
    },
    {
      name: 'actions-core-only-in-shells',
      comment: 'Only the shells talk to the runner (@actions/core); the engine logs through base/log.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/action/' },
      to: { path: 'node_modules/@actions/core/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a type from another mode is still a dependency on it.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
  },
};
