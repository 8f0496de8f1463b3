// The demo site's own script: its sign-in (a token kept in this tab) and the two things
// the widget asks the site for: the signed-in user's token, and where to sign in.
const KEY = "saypro.site.token";

window.demoSite = {
  token: () => sessionStorage.getItem(KEY),
  signIn: () => location.assign(`/local/site/?next=${encodeURIComponent(location.pathname)}`),
};

function signedIn(token) {
  sessionStorage.setItem(KEY, token.trim());
  const next = new URLSearchParams(location.search).get("next");
  location.assign(next && next.startsWith("/local/site/") ? next : "/local/site/");
}

document.addEventListener("submit", (event) => {
  if (event.target.id !== "sign-in") return;
  event.preventDefault();
  signedIn(event.target.elements.token.value);
});

document.addEventListener("click", (event) => {
  const person = event.target.closest("[data-demo-token]");
  if (person) signedIn(person.dataset.demoToken);
  if (event.target.closest("#sign-out")) {
    sessionStorage.removeItem(KEY);
    location.assign("/local/site/");
  }
});

const who = document.getElementById("who");
if (who) who.textContent = window.demoSite.token() ? "Signed in" : "Not signed in";
