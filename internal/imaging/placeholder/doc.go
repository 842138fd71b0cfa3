// Package placeholder computes small stand-ins shown while a variant loads:
// a ThumbHash (Evan Wallace's published algorithm, reimplemented from its
// description), the image rendered back from a hash as a tiny PNG data URI,
// and a dominant colour.
package placeholder
