/** The password mode's login page: static HTML, no script (the CSP allows none inline). */
export function renderLoginPage({
  failed,
  basePath,
}: {
  failed: boolean;
  basePath: string;
}): string {
  const notice = failed ? '<p class="error" role="alert">Wrong user name or password.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Porthole</title>
<style>
  :root { color-scheme: dark; font-family: system-ui, sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0d1117; color: #e6edf3; }
  form { width: min(22rem, 90vw); padding: 2rem; border-radius: 12px; background: #161b22; border: 1px solid #30363d; }
  h1 { margin: 0 0 1.25rem; font-size: 1.3rem; }
  label { display: block; margin: 0.75rem 0 0.25rem; font-size: 0.9rem; color: #9da7b3; }
  input { box-sizing: border-box; width: 100%; padding: 0.6rem; border-radius: 6px; border: 1px solid #30363d; background: #0d1117; color: inherit; font-size: 1rem; }
  input:focus-visible, button:focus-visible { outline: 2px solid #58a6ff; outline-offset: 2px; }
  button { margin-top: 1.25rem; width: 100%; padding: 0.65rem; border: 0; border-radius: 6px; background: #238636; color: #fff; font-size: 1rem; cursor: pointer; }
  .error { color: #ff7b72; margin: 0 0 0.5rem; }
</style>
</head>
<body>
<form method="post" action="${basePath}login">
  <h1>Sign in to Porthole</h1>
  ${notice}
  <label for="user">User name</label>
  <input id="user" name="user" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
