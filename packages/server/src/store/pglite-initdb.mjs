// Creates an embedded database directory in a worker thread: initdb grows the WebAssembly heap by ~500 MB and
// never gives it back, and a worker's heap is freed when it ends.
import { workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";

const db = await PGlite.create(workerData.dir, { startParams: workerData.startParams });
await db.close();
