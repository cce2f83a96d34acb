// Fails the test during which a fake GitHub saw a request (or gave an answer) that GitHub's description forbids:
// every test file gets this through jest's setupFilesAfterEnv, so no test has to ask for it.
import { afterAll, afterEach } from '@jest/globals';
import { formatViolations, takeViolations } from './github-contract/violations.js';

function failOnViolations(): void {
  const violations = takeViolations();
  if (violations.length > 0) throw new Error(formatViolations(violations));
}

afterEach(failOnViolations);
// Requests made in beforeAll/afterAll hooks, or after the last test's afterEach, fail the file.
afterAll(failOnViolations);
