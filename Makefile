# The two commands of the README, plus the performance report.
.PHONY: run test bench
run:    ## build the release app and serve it on http://127.0.0.1:8080
	scripts/run.sh
test:   ## install what is missing, then run every check and test
	scripts/test.sh
bench:  ## engine events/s native and in the browser, wasm size, first render, kafka-large in the page
	scripts/bench.sh
