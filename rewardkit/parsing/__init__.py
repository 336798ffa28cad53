"""Readers of model output and ground truth: boxes, points, masks, polygons, poses."""
