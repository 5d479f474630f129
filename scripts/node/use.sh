# Put the reference Node.js (the version in .node-version) first on PATH in the current shell, and
# point node-gyp at its headers. Source it, from bash, zsh or sh, in the repository:
#
#   . scripts/node/use.sh && npm ci && npm test
#
# The first run fetches Node from the npm registry (scripts/node/fetch.sh, into a cache); later runs
# find it in the cache and download nothing. It sets:
#   PATH                node's bin/ first, so `node`, `npm start`, npm scripts and every test that spawns
#                       node (they spawn process.execPath) run the reference Node; npm itself runs on it.
#   npm_config_nodedir  that Node's directory, whose include/node holds the headers: node-gyp compiles a
#                       native module against them instead of downloading headers from nodejs.org.
# DOCSTORE_NODE_VERSION=22.23.5 picks another version than .node-version (to try a supported one).
# From sh (dash) it must be sourced from the repository's root; bash and zsh find it from anywhere.

if [ -n "${BASH_VERSION:-}" ]; then
  eval '_docstore_use=${BASH_SOURCE[0]}'
elif [ -n "${ZSH_VERSION:-}" ]; then
  _docstore_use=$0
else
  _docstore_use=scripts/node/use.sh
fi
_docstore_node=$("$(dirname "$_docstore_use")/fetch.sh" ${DOCSTORE_NODE_VERSION:+"$DOCSTORE_NODE_VERSION"}) || {
  echo "use.sh: no reference Node (scripts/node/fetch.sh failed)" >&2
  unset _docstore_use _docstore_node
  return 1
}
case "$PATH:" in
  "$_docstore_node/bin:"*) ;;   # already first: sourcing twice changes nothing
  *) PATH="$_docstore_node/bin:$PATH" ;;
esac
export PATH
export npm_config_nodedir="$_docstore_node"
hash -r 2>/dev/null || true   # forget where the shell last found `node`
echo "use.sh: node $(node --version) from $_docstore_node/bin" >&2
unset _docstore_use _docstore_node
