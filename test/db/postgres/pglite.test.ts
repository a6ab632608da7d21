import { databaseContract } from './contract';
import { pgliteDriver } from './drivers';

databaseContract(pgliteDriver);
