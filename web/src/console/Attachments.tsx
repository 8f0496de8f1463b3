// A message's files: images previewed, other files (PDFs) downloaded, each through a
// signed link the API hands out for five minutes.
import { useEffect, useState } from "preact/hooks";
import type { Api, Message } from "../api/client";

type File = NonNullable<Message["attachments"]>[number];

function size(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function Attachment({ api, conversation, message, file }: { api: Api; conversation: string; message: string; file: File }) {
  const [url, setUrl] = useState<string | null>(null);
  const image = file.content_type.startsWith("image/");
  const link = async () => {
    const { data } = await api.GET("/v1/admin/conversations/{id}/messages/{message_id}/attachments/{attachment_id}", {
      params: { path: { id: conversation, message_id: message, attachment_id: file.id } },
    });
    return data?.download?.url ?? null;
  };
  useEffect(() => {
    if (image) void link().then(setUrl);
  }, [file.id]);
  return (
    <li>
      {image && url && <img src={url} alt={`${file.filename} (attached image)`} class="preview" />}
      <button
        type="button"
        onClick={() =>
          void link().then((signed) => {
            if (signed) location.assign(signed);
          })
        }
      >
        Download {file.filename} ({size(file.size)})
      </button>
    </li>
  );
}

export function Attachments({ api, conversation, message }: { api: Api; conversation: string; message: Message }) {
  const files = message.attachments ?? [];
  if (files.length === 0) return null;
  return (
    <ul class="attachments" aria-label="Files">
      {files.map((file) => (
        <Attachment key={file.id} api={api} conversation={conversation} message={message.id} file={file} />
      ))}
    </ul>
  );
}
