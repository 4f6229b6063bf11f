/** The error shape every TaskFlow service answers with. */
export interface HttpErrorBody {
  error: string;
  status_code: number;
  code: string;
}

export function httpErrorBody(status: number, code: string, message: string): HttpErrorBody {
  return { error: message, status_code: status, code };
}
