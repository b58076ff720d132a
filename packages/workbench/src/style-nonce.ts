// The page's CSP admits only <style> elements that carry this response's nonce. antd passes it to its
// CSS-in-JS (ConfigProvider `csp`), but a few helpers of its rc-components insert a <style> of their own
// without it (the scrollbar measurement of tables). Every <style> this page's own code creates gets the
// nonce here, before it is inserted: only this origin's scripts run (script-src 'self'), and no plugin
// code ever runs in the browser, so this admits nothing a third party wrote.
export const styleNonce = document.querySelector<HTMLMetaElement>('meta[name="tk-style-nonce"]')?.content;

if (styleNonce) {
  const createElement = document.createElement.bind(document) as (tag: string, options?: ElementCreationOptions) => HTMLElement;
  document.createElement = ((tag: string, options?: ElementCreationOptions) => {
    const element = createElement(tag, options);
    if (tag.toLowerCase() === 'style') element.setAttribute('nonce', styleNonce);
    return element;
  }) as typeof document.createElement;
}
