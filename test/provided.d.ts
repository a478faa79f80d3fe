/** Values the Node globalSetup provides to tests (vitest `inject`). */
export {};

declare module "vitest" {
  interface ProvidedContext {
    receiverUrl: string;
    closedPortUrl: string;
  }
}
