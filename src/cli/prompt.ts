// The yes/no question of the verbs that change or remove something (apply, destroy,
// force-unlock): Terraform's form, where only the word `yes` confirms. It owns reading the
// answer; whether a question may be asked at all (stdin a terminal, a --force flag) is the verb's.

import { createInterface } from 'node:readline/promises';

/** Asks on stdout, reads one line from stdin; true only for `yes`. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}
