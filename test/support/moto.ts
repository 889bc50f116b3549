export {
  assertMotoInstalled,
  awsClientConfig,
  freePort,
  type Moto,
  startMoto,
} from '../../infra/local/moto.js';
