import type { ActionRequest } from "../policy/actions";
import type { Urgency } from "../policy/plan";

/**
 * Which way an action goes: deleveraging and critical tightening privately first (in public, a
 * margin hike or a deleveraging is a signal others can trade ahead of); routine steps publicly.
 */
export function routeOf(action: ActionRequest, urgency: Urgency, privateAvailable: boolean): "private" | "public" {
  if (!privateAvailable) return "public";
  return action.kind === "deleverage" || urgency === "critical" ? "private" : "public";
}
