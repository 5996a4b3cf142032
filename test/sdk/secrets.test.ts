/** SecretClient of @azure/keyvault-secrets 4.12 on api-version 2026-04-01, every method (secret-scenarios.ts). */
import { describeSecretClient } from './secret-scenarios.ts';

describeSecretClient('4.12');
