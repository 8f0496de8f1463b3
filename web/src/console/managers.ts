// The pages of seniors, managers and finance, in their own chunk: loaded when one of
// them opens such a page, so agents' and moderators' console stays as light as it was.
export { Broadcasts } from "./Broadcasts";
export { CostPage } from "./CostPage";
export { Dashboard } from "./Dashboard";
export { AgentsPage, TemplatesPage, WebhooksPage } from "./Directory";
export { ReportPage } from "./ReportPage";
export { AutomationPage, MembershipPage, RoutingRulesPage, SettingsIndex, SlaPolicyPage } from "./Settings";
