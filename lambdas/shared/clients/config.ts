/**
 * Settings every AWS SDK client of Shipgate shares. The clients themselves live one module per service
 * (`clients/sfn`, `clients/dynamodb`, …), each created once per process, so a Lambda loads only the SDK
 * packages it uses (each costs tens of milliseconds of cold start). Endpoints come from the standard SDK
 * settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), which is how the sandbox points them at its
 * local endpoint. Domain functions take the clients as defaults of injectable dependencies.
 */
export const clientConfig = { maxAttempts: 4 } as const;
