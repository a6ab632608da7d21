// Run as a child process (`node --import tsx test/support/file-lock-holder.ts FILE`): takes FILE
// with takeFileLock, prints "held" (or "refused PID"), and keeps it until killed.
import { takeFileLock } from '../../db/postgres/dir-lock';

const file = process.argv[2];
if (!file) throw new Error('usage: file-lock-holder.ts FILE');
const taken = takeFileLock(file);
process.stdout.write('lock' in taken ? 'held\n' : `refused ${taken.holder.pid}\n`);
setInterval(() => undefined, 1000);
