// isTaskLost (issue 20): the two shapes in which the Docker engine refuses for ever to start a
// container whose task a daemon crash lost, as dockerode reports them (the messages are the ones
// a real dockerd 20.10 gave in test/e2e/docker-daemon-crash.test.ts), and errors that look alike
// but are not that (a 4xx, another "exists", a retryable 500).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTaskLost } from '../../../src/backends/docker/errors.js';

const ID = '7b086953fb5cfcab2a9686de8ab070161f7489a7cbf2a575b6106999445d1940';
const daemonError = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), {
    statusCode,
    json: { message },
  });

test('a lost task: "task …: already exists" and "failed to start shim: mkdir …: file exists"', () => {
  assert.ok(isTaskLost(daemonError(500, `task ${ID}: already exists: unknown`)));
  assert.ok(
    isTaskLost(
      daemonError(
        500,
        `failed to start shim: mkdir /tmp/cfdd-Sxjf6Y/x/containerd/daemon/io.containerd.runtime.v2.task/cfdd-ns/${ID}: file exists: unknown`,
      ),
    ),
  );
});

test('not a lost task: a client error, another file that exists, a plain 500', () => {
  assert.not.ok(isTaskLost(daemonError(409, `task ${ID}: already exists`)));
  assert.not.ok(isTaskLost(daemonError(500, 'failed to create shim task: mkdir /run/something: file exists')));
  assert.not.ok(isTaskLost(daemonError(500, 'connection reset by peer')));
  assert.not.ok(isTaskLost(new Error('socket hang up')));
});

test.run();
