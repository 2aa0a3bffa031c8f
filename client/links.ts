/** Which terminal links may be opened (SECURITY.md E3): absolute http(s) URLs only. DOM-free. */

/** The URL to open, normalised, or undefined for javascript:, data:, file:, relative or malformed links. */
export function safeLinkUrl(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 4096) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Credentials in a link are a phishing tool ("https://bank.com@evil.example").
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}
