// The admin API, with the shop's key kept for this tab only (sessionStorage; never in
// a URL). Errors are RFC 9457 problems: thrown as ApiError with the problem's detail.
const KEY = 'restock.shop-key';

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (k) => sessionStorage.setItem(KEY, k);
export const forgetKey = () => sessionStorage.removeItem(KEY);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `Request failed (${status})`);
    this.status = status;
    this.code = problem && problem.code;
    this.field = problem && problem.field;
  }
}

export async function api(method, path, body, key = getKey()) {
  const headers = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' });
  }
  const data = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

/** Fetches a CSV export with the key and hands it to the browser as a download. */
export async function download(path, filename) {
  const resp = await fetch(path, { headers: { authorization: `Bearer ${getKey()}` } });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  const url = URL.createObjectURL(await resp.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
