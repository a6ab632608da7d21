import { postgresDriver } from '../db/postgres/drivers';
import { tenancyContract } from './contract';

tenancyContract(postgresDriver);
