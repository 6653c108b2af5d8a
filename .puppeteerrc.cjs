// Puppeteer drives the Debian browsers (/usr/bin/chromium, /usr/bin/firefox-esr); its own browser
// download cannot work offline and is never needed.
module.exports = { skipDownload: true };
