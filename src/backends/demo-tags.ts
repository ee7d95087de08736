/**
 * The tags every run of the bundled demo generator carries, however it was started (`genwatt demo`,
 * bare `genwatt` without a GPU, the launcher's built-in demo): one configuration in a report.
 */
export const DEMO_TAGS: Readonly<Record<string, string>> = { model: 'demo generator (no model)' };
