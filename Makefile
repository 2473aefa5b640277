# Convenience wrapper; the README's commands call scripts/quickstart.sh directly.
.PHONY: demo test build clean
demo:
	sh scripts/quickstart.sh demo
test:
	sh scripts/quickstart.sh test
build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2
clean:
	rm -rf build build-asan build-tsan build-fuzz
