/**
 * A small XML reader for `nvidia-smi -q -x`, pure and total. It returns the shape fast-xml-parser gave this backend
 * (attributes as `@_name`, element text trimmed, `#text` beside children or attributes, a repeated element as an
 * array, `isArray` names always arrays, only the five XML entities decoded), at a fraction of its cost: an 8-GPU
 * document every 10 s was the cockpit's largest parse. Like fast-xml-parser it is lenient with a cut or broken
 * document (a timed-out nvidia-smi): a close tag closes the element open last whatever its name, elements still open
 * at the end are closed (their loose text dropped), so what was read before the damage is kept.
 * test/backends/nvidia/xml.test.ts holds it to fast-xml-parser on every sample, whole and cut short. After random
 * byte flips the two may recover differently; parseQX never throws either way (test/backends/nvidia/fuzz.test.ts).
 */

export type XmlNode = Record<string, unknown>;

interface Open { name: string; attrs: XmlNode | undefined; children: XmlNode | undefined; text: string }

const ENTITY: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'", '&amp;': '&' };
const decode = (s: string): string => (s.includes('&') ? s.replace(/&(?:lt|gt|quot|apos|amp);/g, (e) => ENTITY[e]!) : s);

/** name="value" pairs of an open tag's inside (after its name). */
function attributes(inside: string): XmlNode | undefined {
  let attrs: XmlNode | undefined;
  const re = /([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = re.exec(inside); m !== null; m = re.exec(inside)) (attrs ??= {})[`@_${m[1]}`] = decode(m[2] ?? m[3] ?? '');
  return attrs;
}

/** What a closed element is worth to its parent. */
function valueOf(e: Open, keepText: boolean): unknown {
  const text = keepText ? decode(e.text.trim()) : '';
  if (e.children === undefined && e.attrs === undefined) return text;
  const out: XmlNode = e.children ?? {};
  if (text !== '') out['#text'] = text;
  if (e.attrs) Object.assign(out, e.attrs);
  return out;
}

function addChild(parent: Open, name: string, value: unknown, isArray: (name: string) => boolean): void {
  const into = (parent.children ??= {});
  const had = into[name];
  if (isArray(name)) {
    if (Array.isArray(had)) had.push(value);
    else into[name] = [value];
  } else if (had === undefined) {
    into[name] = value;
  } else if (Array.isArray(had)) {
    had.push(value);
  } else {
    into[name] = [had, value];
  }
}

/** The index just past the `>` closing the tag that starts at `from`, minding quoted attribute values; -1: none. */
function tagEnd(s: string, from: number): number {
  let quote = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quote !== 0) { if (c === quote) quote = 0; }
    else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x3e) return i + 1;
  }
  return -1;
}

export function parseXml(s: string, isArray: (name: string) => boolean = () => false): XmlNode {
  const root: Open = { name: '', attrs: undefined, children: {}, text: '' };
  const stack: Open[] = [root];
  const close = (keepText: boolean) => {
    const e = stack.pop()!;
    addChild(stack[stack.length - 1]!, e.name, valueOf(e, keepText), isArray);
  };
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) { top.text += s.slice(i); break; }
    if (lt > i) top.text += s.slice(i, lt);
    if (s.startsWith('<!--', lt)) {
      const e = s.indexOf('-->', lt + 4);
      i = e < 0 ? s.length : e + 3;
    } else if (s.startsWith('<![CDATA[', lt)) {
      const e = s.indexOf(']]>', lt + 9);
      top.text += s.slice(lt + 9, e < 0 ? s.length : e);
      i = e < 0 ? s.length : e + 3;
    } else if (s.startsWith('<?', lt)) {
      const e = s.indexOf('?>', lt + 2);
      i = e < 0 ? s.length : e + 2;
    } else if (s.startsWith('<!', lt)) {
      const e = tagEnd(s, lt + 2);
      i = e < 0 ? s.length : e;
    } else if (s.charCodeAt(lt + 1) === 0x2f) {
      const e = s.indexOf('>', lt + 2);
      i = e < 0 ? s.length : e + 1;
      // a close tag closes the element open last, whatever it names (as fast-xml-parser reads a damaged document)
      if (stack.length > 1) close(true);
    } else {
      const e = tagEnd(s, lt + 1);
      if (e < 0) break; // a tag cut off at the end
      const selfClosing = s.charCodeAt(e - 2) === 0x2f;
      const body = s.slice(lt + 1, selfClosing ? e - 2 : e - 1);
      const space = body.search(/\s/);
      const name = space < 0 ? body : body.slice(0, space);
      const inside = space < 0 ? '' : body.slice(space);
      const open: Open = { name, attrs: inside.includes('=') ? attributes(inside) : undefined, children: undefined, text: '' };
      i = e;
      if (name === '') continue;
      stack.push(open);
      if (selfClosing) close(true);
    }
  }
  // the end of a cut document: what is still open closes, without its loose text (as fast-xml-parser does)
  while (stack.length > 1) close(false);
  return root.children!;
}
