// The API's teams and categories, as the console offers them.
export const TEAMS = ["support", "sales", "technical", "billing"] as const;
export const CATEGORIES = ["general", "payment", "technical", "complaint", "account"] as const;
