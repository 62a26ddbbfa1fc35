// The agent runtime's key (SPSP/STREAM).
import { fig, image, logLevel, resources } from "./kinds";
import { Context, bool, declare, group, int, section, str } from "./schema";
import { AgentRuntimeConfig } from "./types";

export const AGENT_RUNTIME = declare(
    "agentRuntime",
    "The agent runtime (SPSP and STREAM)",
    group({
        replicas: int({ default: { dev: 1, prod: 2 }, min: 1, max: 50 }),
        image: image({ repo: "m2m-agent-runtime" }),
        nodeId: str({ default: "agent-runtime" }),
        baseAddress: str({ default: "g.connector.agent" }),
        businessLogicTimeoutMs: int({ default: 5000, min: 1 }),
        sessionTtlMs: int({ default: 3600000, min: 1 }),
        spspEnabled: bool({ default: true }),
        logLevel: logLevel(),
        resources: resources({ dev: fig("100m", "128Mi", "500m", "512Mi"), prod: fig("250m", "256Mi", "1000m", "1Gi") }),
    }),
);

export const AGENT_RUNTIME_KEYS = [AGENT_RUNTIME];

export function readAgentRuntime(ctx: Context, namespace: string): AgentRuntimeConfig {
    const s = section(ctx, AGENT_RUNTIME);
    return {
        namespace,
        replicas: s.read("replicas"),
        image: s.read("image"),
        nodeId: s.read("nodeId"),
        baseAddress: s.read("baseAddress"),
        businessLogicTimeoutMs: s.read("businessLogicTimeoutMs"),
        sessionTtlMs: s.read("sessionTtlMs"),
        spspEnabled: s.read("spspEnabled"),
        logLevel: s.read("logLevel"),
        resources: s.read("resources"),
    };
}
