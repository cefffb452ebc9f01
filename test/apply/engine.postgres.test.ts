// The engine suite (engine.test.ts) again, with every store on a real PostgreSQL server.
import { test } from 'uvu';
import { skip } from '../support/skip.js';
import { usePostgresStore } from '../support/stores.js';

if (await usePostgresStore('engine on PostgreSQL')) await import('./engine.test.js');
else {
  test('engine on PostgreSQL', () => skip('no PostgreSQL server (CF_TEST_DATABASE_URL)'));
  test.run();
}
