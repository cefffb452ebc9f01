// `contextforge destroy`: removes every runtime of the stack from every configured backend
// (containers, networks and volumes carry the stack's marks), then forgets them in state.

import type { CAC } from 'cac';
import { applyOptions, runApply, type ApplyFlags } from './apply.js';
import { verbCommand, type VerbRegistrar } from './verb.js';

export const register: VerbRegistrar = (cli: CAC, setExit) => {
  applyOptions(verbCommand(cli, 'destroy'))
    .example('contextforge destroy --auto-approve')
    .action((flags: ApplyFlags) => setExit(runApply(flags, undefined, true)));
};
