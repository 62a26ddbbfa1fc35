// Preloaded (NODE_OPTIONS=--require) into every Node.js process of a profiled run: samples
// the process with the V8 profiler and writes <BENCH_CPU_PROFILE_DIR>/<pid>.cpuprofile when
// it exits or is told to stop (Node.js refuses --cpu-prof in NODE_OPTIONS).
const inspector = require("inspector");
const fs = require("fs");
const path = require("path");
const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
    const session = new inspector.Session();
    session.connect();
    session.post("Profiler.enable");
    session.post("Profiler.setSamplingInterval", { interval: 1000 });
    session.post("Profiler.start");
    let done = false;
    const write = () => {
        if (done) return;
        done = true;
        session.post("Profiler.stop", (err, res) => {
            if (!err && res) {
                fs.mkdirSync(dir, { recursive: true });
                fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify({ argv: process.argv, ...res.profile }));
            }
        });
    };
    process.on("exit", write);
    for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { write(); process.exit(0); });
}
