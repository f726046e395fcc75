/**
 * The devtools element's own stylesheet, inside its shadow root: the page's styles do not
 * reach in, and these do not leak out. Apps restyle it through the `part` names
 * (`protocol-offline-devtools::part(toggle) { … }`).
 */
export const STYLE = `
:host {
  display: block;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color: #1f2328;
  background: #f6f8fa;
  border: 1px solid #d0d7de;
  border-radius: 6px;
  text-align: left;
}
:host([hidden]) { display: none; }
[hidden] { display: none !important; }
[part~='toggle'] {
  all: unset;
  box-sizing: border-box;
  display: flex;
  gap: 0.75em;
  width: 100%;
  padding: 6px 10px;
  cursor: pointer;
  font-weight: 600;
}
[part~='toggle']:focus-visible { outline: 2px solid #0969da; outline-offset: -2px; }
[part~='toggle']::before { content: '▸'; }
[part~='toggle'][aria-expanded='true']::before { content: '▾'; }
[part~='summary'] { font-weight: normal; color: #57606a; }
[part~='summary'][data-state='error'], [part~='summary'][data-state='paused'] { color: #cf222e; }
[part~='body'] { padding: 0 10px 10px; max-height: 60vh; overflow: auto; }
[part~='problem'] { color: #cf222e; margin: 6px 0 0; }
h2 {
  font-size: 11px;
  font-weight: 600;
  text-transform: uppercase;
  letter-spacing: 0.04em;
  color: #57606a;
  margin: 12px 0 4px;
}
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: #57606a; }
dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 8px 2px 0; vertical-align: top; white-space: nowrap; }
td:last-child { white-space: normal; overflow-wrap: anywhere; }
th { font-weight: normal; color: #57606a; }
ul, ol { list-style: none; margin: 0; padding: 0; }
li { padding: 3px 0; border-top: 1px solid #eaeef2; overflow-wrap: anywhere; }
li > span + span { margin-left: 0.75em; }
button { font: inherit; margin-left: 6px; }
input { font: inherit; box-sizing: border-box; width: 16em; margin: 0 0 4px; }
[part~='empty'] { color: #57606a; margin: 0; }
@media (prefers-color-scheme: dark) {
  :host { color: #e6edf3; background: #161b22; border-color: #30363d; }
  h2, dt, th, [part~='summary'], [part~='empty'] { color: #8d96a0; }
  li { border-color: #21262d; }
}
`;
