"""Geometry kernels: overlaps, matching, AP, masks, polygons, keypoints, saliency."""
