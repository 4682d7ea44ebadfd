/** Attributes are a JSON object held as text, as the caller sent it. */
export function parseAttributes(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
