# The two commands of the README, and the benchmark.
.PHONY: run test bench package deploy-web

# Run the whole system locally: every route on 127.0.0.1:3000, the admin console at
# /console/, demo data, data in ./.saypro-data.
run:
	bash infra/bootstrap.sh
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build
	cargo run -p local -- serve --demo

# Every test and check: fmt, clippy -D warnings, all tests (moto server included),
# schemathesis against the dev server, cfn-lint.
test:
	bash infra/test.sh

# Round trips, capacity units, handler time, throughput and memory (release build), and
# the functions' cold starts beside a hello-world floor (built apart, as make package
# builds them, so their features are the functions' own).
bench:
	cargo build --release -p send -p reply -p listings -p notify -p sla-check -p broadcast -p reports -p realtime -p lambda-floor
	cargo build --release -p local -p bench
	target/release/bench

# Every function built for Lambda (arm64, release) and zipped, with sizes and the build's
# time; the template checked by sam validate --lint (not part of `make test`: see
# docs/operators.md#deploy-with-sam for how long it takes).
package:
	bash infra/package.sh

# Put the admin console on AWS (the stack deployed with SAM first): STACK=<stack name>.
deploy-web:
	bash infra/deploy-web.sh
