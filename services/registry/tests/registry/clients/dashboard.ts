// A dashboard author's script: the overview, and the steps of a plan, typed by the client
// generated from openapi/openapi.json with openapi-typescript.
import type { components, paths } from "./schema";

type Overview = paths["/v1/overview"]["get"]["responses"][200]["content"]["application/json"];
type PlanView = components["schemas"]["PlanView"];
type Problem = components["schemas"]["Problem"];
type HazardKind = components["schemas"]["HazardKind"];

async function get<T>(base: string, token: string, path: string): Promise<T> {
  const response = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const problem = (await response.json()) as Problem;
    throw new Error(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
  return (await response.json()) as T;
}

export async function overview(base: string, token: string): Promise<string[]> {
  const o = await get<Overview>(base, token, "/v1/overview");
  return o.services.flatMap((s) =>
    s.environments.map(
      (e) => `${s.service} ${e.environment}: latest ${s.latest_version ?? "-"}, verified ${e.verified_version ?? "-"}`,
    ),
  );
}

export async function steps(base: string, token: string, id: string): Promise<string[]> {
  const plan = await get<PlanView>(base, token, `/v1/plans/${encodeURIComponent(id)}`);
  const state: PlanView["state"] = plan.state;
  return (plan.plan?.steps ?? []).map((step) => {
    const hazards: HazardKind[] = step.hazards.map((h) => h.kind);
    const lock: string = step.lock;
    return `${state} #${step.id} ${step.description} [${hazards.join(", ")}] lock ${lock}${step.transactional ? "" : " (outside a transaction)"}`;
  });
}

async function main(): Promise<void> {
  const [base, token, id] = process.argv.slice(2);
  for (const line of await overview(base, token)) console.log(line);
  for (const line of await steps(base, token, id)) console.log(line);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
