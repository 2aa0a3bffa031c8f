/** Confirms a link before opening it, showing the real URL (SECURITY.md E3). */
import { byId } from './dom.ts';
import { safeLinkUrl } from './links.ts';

const dialog = (): HTMLDialogElement => byId('link-dialog', HTMLDialogElement);

/**
 * Asks before opening `uri`; only absolute http(s) links get this far. OSC 8 links (whose
 * text can differ from their target) also need Ctrl/Cmd held, as in native terminals; MXP
 * `<a>` links (`needsModifier` false) are plain clicks but still warn that text and address differ.
 */
export function confirmLink(
  event: MouseEvent,
  uri: string,
  viaOsc8: boolean,
  needsModifier = viaOsc8,
): void {
  const url = safeLinkUrl(uri);
  if (url === undefined) return;
  if (needsModifier && !(event.ctrlKey || event.metaKey)) return;
  const d = dialog();
  if (d.open) return;
  byId('link-url', HTMLParagraphElement).textContent = url;
  byId('link-warning', HTMLParagraphElement).hidden = !viaOsc8;
  d.returnValue = '';
  d.addEventListener(
    'close',
    () => {
      if (d.returnValue === 'open') window.open(url, '_blank', 'noopener,noreferrer');
    },
    { once: true },
  );
  d.showModal();
  byId('link-open', HTMLButtonElement).focus();
}
