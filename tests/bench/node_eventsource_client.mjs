// The Node `eventsource` client (npm), for tether_io_e2e_bench: counts
// messages and exits when it has `count` of them.
import { EventSource } from 'eventsource';

const [url, countText] = process.argv.slice(2);
const wanted = Number(countText);
let received = 0;
const source = new EventSource(url);
source.onmessage = () => {
  received += 1;
  if (received === wanted) {
    process.stdout.write(`received ${received}\n`);
    source.close();
    process.exit(0);
  }
};
source.onerror = () => {};
