import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error the server extension answered with ({status, message}), or a network failure. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/**
 * GET a JSON endpoint of the plexus-datasets server extension.
 *
 * @param path endpoint below /plexus-datasets/, e.g. "datasets?scorecard=x"
 */
export async function requestAPI<T>(
  path: string,
  serverSettings: ServerConnection.ISettings
): Promise<T> {
  const url = URLExt.join(serverSettings.baseUrl, 'plexus-datasets', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, serverSettings);
  } catch (error) {
    throw new ApiError(`Can't reach the Jupyter server: ${String(error)}`, 0);
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    const message =
      data && typeof data.message === 'string'
        ? data.message
        : `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  return data as T;
}
