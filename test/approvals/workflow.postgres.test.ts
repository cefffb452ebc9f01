// The approval workflow suite (workflow.test.ts) again, with every store on a real PostgreSQL server.
import { test } from 'uvu';
import { skip } from '../support/skip.js';
import { usePostgresStore } from '../support/stores.js';

if (await usePostgresStore('approval workflow on PostgreSQL')) await import('./workflow.test.js');
else {
  test('approval workflow on PostgreSQL', () => skip('no PostgreSQL server (CF_TEST_DATABASE_URL)'));
  test.run();
}
