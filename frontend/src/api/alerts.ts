//! Alerting's API calls: incidents (list, read, acknowledge), rules, channels (with their test) and
//! maintenance windows. Types come from the generated schema; every call goes through `request`.

import type { components } from "./schema";
import { request } from "./client";

type Schemas = components["schemas"];
export type IncidentView = Schemas["IncidentView"];
export type DeliveryView = Schemas["DeliveryView"];
export type AlertRuleView = Schemas["AlertRuleView"];
export type AlertRuleBody = Schemas["AlertRuleBody"];
export type AlertRuleKind = Schemas["AlertRuleKind"];
export type ScopeRecord = Schemas["ScopeRecord"];
export type AlertChannelView = Schemas["AlertChannelView"];
export type NewAlertChannel = Schemas["NewAlertChannel"];
export type AlertChannelPatch = Schemas["AlertChannelPatch"];
export type ChannelType = Schemas["ChannelType"];
export type ChannelTestView = Schemas["ChannelTestView"];
export type MaintenanceWindowView = Schemas["MaintenanceWindowView"];
export type MaintenanceWindowBody = Schemas["MaintenanceWindowBody"];
export type Schedule = Schemas["Schedule"];
export type Weekday = Schemas["Weekday"];

export interface IncidentQuery {
  state?: "open" | "resolved";
  deviceId?: string;
  ruleId?: string;
  limit?: number;
}

const enc = encodeURIComponent;

export const listIncidents = (query: IncidentQuery, signal?: AbortSignal): Promise<IncidentView[]> =>
  request("GET", "/alerts", { query: { ...query }, signal });
export const getIncident = (id: string, signal?: AbortSignal): Promise<IncidentView> => request("GET", `/alerts/${enc(id)}`, { signal });
export const acknowledgeIncident = (id: string): Promise<IncidentView> => request("POST", `/alerts/${enc(id)}/ack`);

export const listRules = (signal?: AbortSignal): Promise<AlertRuleView[]> => request("GET", "/alert-rules", { signal });
export const createRule = (body: AlertRuleBody): Promise<AlertRuleView> => request("POST", "/alert-rules", { body });
export const updateRule = (id: string, body: AlertRuleBody): Promise<AlertRuleView> => request("PATCH", `/alert-rules/${enc(id)}`, { body });
export const deleteRule = (id: string): Promise<void> => request("DELETE", `/alert-rules/${enc(id)}`);

export const listChannels = (signal?: AbortSignal): Promise<AlertChannelView[]> => request("GET", "/alert-channels", { signal });
export const createChannel = (body: NewAlertChannel): Promise<AlertChannelView> => request("POST", "/alert-channels", { body });
export const updateChannel = (id: string, body: AlertChannelPatch): Promise<AlertChannelView> => request("PATCH", `/alert-channels/${enc(id)}`, { body });
export const deleteChannel = (id: string): Promise<void> => request("DELETE", `/alert-channels/${enc(id)}`);
export const testChannel = (id: string): Promise<ChannelTestView> => request("POST", `/alert-channels/${enc(id)}/test`);

export const listWindows = (signal?: AbortSignal): Promise<MaintenanceWindowView[]> => request("GET", "/maintenance-windows", { signal });
export const createWindow = (body: MaintenanceWindowBody): Promise<MaintenanceWindowView> => request("POST", "/maintenance-windows", { body });
export const updateWindow = (id: string, body: MaintenanceWindowBody): Promise<MaintenanceWindowView> => request("PATCH", `/maintenance-windows/${enc(id)}`, { body });
export const deleteWindow = (id: string): Promise<void> => request("DELETE", `/maintenance-windows/${enc(id)}`);
