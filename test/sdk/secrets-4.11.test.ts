/** SecretClient of @azure/keyvault-secrets 4.11 (npm alias) on api-version 2025-07-01, every method. */
import { describeSecretClient } from './secret-scenarios.ts';

describeSecretClient('4.11');
