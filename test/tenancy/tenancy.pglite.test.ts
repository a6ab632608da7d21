import { pgliteDriver } from '../db/postgres/drivers';
import { tenancyContract } from './contract';

tenancyContract(pgliteDriver);
