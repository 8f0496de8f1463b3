// The buttons where the site marks a listing (Message seller, Contact admin) or a
// profile (Contact admin, about nothing in particular).
import type { Controller } from "./controller";

export function Buttons({ controller, listing }: { controller: Controller; listing: string | null }) {
  const words = controller.strings;
  return (
    <div class="buttons">
      {listing && (
        <button type="button" class="primary" onClick={() => void controller.messageSeller(listing)}>
          {words.messageSeller}
        </button>
      )}
      <button type="button" onClick={() => void controller.contactAdmin(listing)}>
        {words.contactAdmin}
      </button>
    </div>
  );
}
