# Sourced by test.sh: the Debian packages the tests need (headless Chromium and CJK fonts for
# images, PDFs and browser tests; poppler-utils to read PDFs back). Installed when missing and
# when we may (root with apt-get).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # reads the text of PDF reports
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${need[*]} from Debian's packages" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "note: ${need[*]} missing; install them (apt-get install ${need[*]}) or the tests that need them skip" >&2
    fi
fi
