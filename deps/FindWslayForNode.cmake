# Finds wslay 1.1.1 as installed by a distribution package. Only the imported target
# `wslay` is used; the package has no version file, so no version is asked for here
# (deps/check-wslay.mjs checks the library's symbols instead).
find_package(wslay CONFIG QUIET)
if(NOT TARGET wslay)
  message(FATAL_ERROR
    "wslay was not found. The native backend needs the wslay 1.1.1 development files:\n"
    "  Debian/Ubuntu: sudo apt-get install -y libwslay-dev\n"
    "  Fedora:        sudo dnf install -y wslay-devel\n"
    "  Alpine:        apk add wslay-dev\n"
    "  Homebrew:      brew install wslay\n"
    "See deps/README.md. Without it the package still works on its pure-TypeScript fallback.")
endif()
