// A file into a message: the signed upload the API gives (`POST /v1/attachments`), PUT
// with every header it names, with progress. The API checks type and size first, so a
// refusal comes before any byte is sent.
import { type Api, errorMessage } from "./client";

export async function upload(api: Api, file: File, onProgress: (share: number) => void): Promise<string> {
  const { data, error } = await api.POST("/v1/attachments", {
    body: { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size },
  });
  if (!data?.upload) throw new Error(errorMessage(error, `${file.name} cannot be sent.`));
  const signed = data.upload;
  await new Promise<void>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(signed.method, signed.url);
    for (const [name, value] of Object.entries(signed.headers)) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    // 412: an earlier try of this very upload arrived (the URL writes once).
    request.onload = () => (request.status < 300 || request.status === 412 ? resolve() : reject(new Error(`${file.name} did not upload (${request.status}).`)));
    request.onerror = () => reject(new Error(`${file.name} did not upload: the connection failed.`));
    request.send(file);
  });
  onProgress(1);
  return data.id;
}
