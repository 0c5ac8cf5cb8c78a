"""The Qt-free training engine: one loop that trains a list of model specs side by side.

Import the modules you need: :mod:`.config`, :mod:`.control` and :mod:`.messages` are
torch-free (the window paints before torch loads); :mod:`.trainer`, :mod:`.objectives`,
:mod:`.side_by_side` and the step modules need torch.
"""
