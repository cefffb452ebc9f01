// `contextforge destroy`: removes every runtime of the stack from every configured backend
// (containers and networks carry the stack's marks), then forgets them in state. Data volumes
// (allowed_mounts) stay unless --delete-volumes; the plan lists them either way.

import type { CAC } from 'cac';
import { applyOptions, runApply, type ApplyFlags } from './apply.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  applyOptions(verbCommand(cli, 'destroy'))
    .option(
      '--delete-volumes',
      'Also delete the data volumes made from allowed_mounts (kept by default, as `docker compose down` keeps them)',
    )
    .example('contextforge destroy --auto-approve')
    .action((flags: ApplyFlags) => setExit(runApply(flags, undefined, true)));
};
