/** Node globalSetup for the workerd project: one loopback receiver, its URL provided to tests. */
import type { TestProject } from "vitest/node";
import { closedPortUrl, startReceiver } from "../helpers/receiver";

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("receiverUrl", receiver.url);
  project.provide("closedPortUrl", await closedPortUrl());
  return async () => receiver.close();
}
