#!/usr/bin/python3
"""The search pages in a real browser: headless Chromium (Debian's) loads the page a running
`cmh serve` serves, types a query, waits for the grid of results with their thumbnails, clicks
the first result, waits for the search by it, and saves a screenshot of each step. With --pages,
it also opens the pages `cmh search --html` wrote and the curves `cmh index eval --svg` drew, at
1280 px, and checks what they show.

    /usr/bin/python3 scripts/e2e.py --url http://127.0.0.1:8080/ --out docs/images [--pages DIR]

Speaks the DevTools protocol over a WebSocket (Debian's python3-websocket); exits 1 with what
failed."""
import argparse, base64, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request
import websocket


class Browser:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="cmh-e2e-")
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + 30
        while port is None and time.time() < deadline:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
        if port is None:
            raise SystemExit("e2e: chromium did not start (is Debian's chromium installed?)")
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = next(p for p in pages if p["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.2)
        error = self.evaluate("document.getElementById('error') ? document.getElementById('error').textContent : ''")
        state = self.evaluate("location.href + ' | ' + (document.getElementById('status')?.textContent ?? '') + ' | cards: ' + document.querySelectorAll('.card').length")
        self.screenshot(os.path.join(tempfile.gettempdir(), "cmh-e2e-failure.png"))
        raise SystemExit(f"e2e: timed out waiting for {what} ({state})" + (f"; the page shows: {error}" if error else ""))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"e2e: wrote {path}")

    def click(self, selector):
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"]:
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


IMAGES_LOADED = "[...document.images].length > 0 && [...document.images].every(i => i.complete && i.naturalWidth > 0)"


def check_pages(browser, folder, out):
    """The pages of `cmh search --html` and an SVG curve of `cmh index eval --svg`, as files."""
    url = lambda name: "file://" + os.path.abspath(os.path.join(folder, name))
    browser.call("Page.navigate", url=url("text2image.html"))
    browser.wait(IMAGES_LOADED, "the text search page's thumbnails")
    figures = browser.evaluate("document.querySelectorAll('figure').length")
    groups = browser.evaluate("document.querySelectorAll('section.group h2').length")
    marked = browser.evaluate("document.querySelectorAll('figcaption b').length")
    wide = browser.evaluate("Math.max(...[...document.querySelectorAll('figure')].map(f => f.getBoundingClientRect().right)) <= 1280")
    if figures != 20 or groups < 1 or marked < 1 or not wide:
        raise SystemExit(f"e2e: text2image.html shows {figures} results, {groups} tie groups, {marked} marked labels, fits 1280 px: {wide}")
    print(f"e2e: text2image.html: {figures} results in {groups} tie groups, {marked} labels marked")
    browser.screenshot(os.path.join(out, "page-text2image.png"))
    browser.call("Page.navigate", url=url("image2text.html"))
    browser.wait(IMAGES_LOADED, "the image search page's query image")
    items = browser.evaluate("document.querySelectorAll('li').length")
    shown = browser.evaluate("document.querySelector('.query img') !== null && document.querySelector('.query img').naturalWidth > 0")
    if items != 20 or not shown:
        raise SystemExit(f"e2e: image2text.html shows {items} results, the query image: {shown}")
    print(f"e2e: image2text.html: the query image and {items} texts")
    browser.screenshot(os.path.join(out, "page-image2text.png"))
    browser.call("Page.navigate", url=url("curves/pr-t2i.svg"))
    browser.wait("document.querySelectorAll('polyline').length > 0", "the precision-recall curve")
    legend = browser.evaluate("[...document.querySelectorAll('text')].map(t => t.textContent).join(' | ')")
    if "bits, MAP" not in legend or "chance, MAP" not in legend:
        raise SystemExit(f"e2e: the curve's legend does not name the model and chance: {legend}")
    print("e2e: pr-t2i.svg: " + legend.split(" | ")[-2] + "; " + legend.split(" | ")[-1])
    browser.screenshot(os.path.join(out, "eval-curve.png"))


THUMBNAILS_LOADED = ("(() => { const imgs = [...document.querySelectorAll('.card img')];"
                     " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); })()")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", default="e2e-screenshots")
    parser.add_argument("--query", default="a red circle on the grass")
    parser.add_argument("--pages", help="a folder with text2image.html, image2text.html and curves/pr-t2i.svg")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    browser = Browser()
    try:
        browser.call("Page.navigate", url=args.url)
        browser.wait("document.readyState === 'complete' && document.getElementById('q') !== null", "the page")
        browser.wait("document.getElementById('index').options.length > 0", "the index sets from /health")
        browser.click("#q")
        browser.call("Input.insertText", text=args.query)
        browser.call("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", windowsVirtualKeyCode=13, text="\r")
        browser.call("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter", windowsVirtualKeyCode=13)
        browser.wait(THUMBNAILS_LOADED, "the grid of results with thumbnails")
        cards = browser.evaluate("document.querySelectorAll('.card').length")
        groups = browser.evaluate("document.querySelectorAll('.group').length")
        scored = browser.evaluate("document.querySelectorAll('.meta').length && document.querySelector('.meta').textContent.includes('score')")
        marked = browser.evaluate("document.querySelectorAll('.labels b').length")
        if "q=" not in browser.evaluate("location.search"):
            raise SystemExit("e2e: the search is not in the URL")
        order = "re-ranked, each with its score" if scored else f"in {groups} tie groups"
        print(f"e2e: {cards} results {order}, {marked} labels marked as named by the query")
        browser.screenshot(os.path.join(args.out, "serve-text-search.png"))
        first = browser.evaluate("document.querySelector('.card').dataset.id")
        browser.click(".card")
        browser.wait(f"location.search.includes('id={first}') && document.getElementById('status').textContent.includes(' of ')",
                     "the search by the clicked result")
        browser.wait(THUMBNAILS_LOADED, "the results of the search by the clicked result")
        browser.wait("document.querySelector('#query img') !== null && document.querySelector('#query img').naturalWidth > 0",
                     "the clicked result shown as the query")
        browser.wait("document.querySelectorAll('#query b').length > 0", "the clicked result's labels beside it")
        status = browser.evaluate("document.getElementById('status').textContent")
        print(f"e2e: clicked {first}: {status}")
        browser.screenshot(os.path.join(args.out, "serve-by-result.png"))
        if browser.evaluate("document.getElementById('error').textContent"):
            raise SystemExit("e2e: the page shows an error: " + browser.evaluate("document.getElementById('error').textContent"))
        if args.pages:
            check_pages(browser, args.pages, args.out)
        print("e2e: passed")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
